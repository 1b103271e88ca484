display(await LLM.chat([{role: "system", content: "be terse"}, {role: "user", content: "first"}, {role: "assistant", content: "ok"}, {role: "user", content: "second"}]));
const req = (await Event.list({type: "llm.request"}))[0].data.messages;
display(req[0].role + ": " + req[0].content + " (" + req.length + " messages)");
display(await LLM.chat([{role: "user", content: "x"}], {model: "mock/script", responses: ["scripted chat"]}));
const chunks = [];
const full = await LLM.stream("streamed  in   words", (c) => { chunks.push(c); });
display(await json.encode(chunks));
display(full);
display((await Event.list({type: "llm.chunk"})).length);
const parts = [];
display(await LLM.stream("p", (c) => { parts.push(c); }, {model: "mock/script", responses: ["a scripted reply"]}));
display(parts.length > 0);
try { await LLM.chat("not a list"); } catch (e) { display(e.message); }
try { await LLM.complete("x", {colour: "red"}); } catch (e) { display(e.message); }
try { await LLM.stream("x", (c) => { throw new Error("chunk handler broke"); }); } catch (e) { display(e.message); }
