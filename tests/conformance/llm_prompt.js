display(await LLM.complete("echo me"));
display(await LLM.chat([{role: "system", content: "ignored"}, {role: "user", content: "last user wins"}]));
const chunks = [];
const full = await LLM.stream("one two three", (c) => { chunks.push(c); });
display(await json.encode(chunks));
display(full);
display(await LLM.complete("x", {model: "mock/script", responses: ["scripted"]}));
try { await LLM.complete("x", {model: "mock/script"}); } catch (e) { display(e.message); }
display(await json.encode(await LLM.complete("x", {model: "mock/script", responses: ['{"a": 1}'], response_format: "json"})));
display(await Prompt.render("Hi {{ name }}! {% for t in tags %}[{{ t }}]{% endfor %}", {name: "Ada", tags: ["a", "b"]}));
try { await Prompt.render("{{ x.__class__.__mro__ }}", {x: "s"}); } catch (e) { display(e.message); }
try { await Prompt.render("{% if %}", {}); } catch (e) { display(e.message); }
