const a = await agent.create({name: "aliased", system_prompt: "helper"});
display(await json.encode([a.name, (await Agent.get("aliased")).name]));
try { await agent.create({name: "aliased"}); } catch (e) { display(e.message); }
try { await agent.create({colour: "red"}); } catch (e) { display(e.message); }
try { await tools.execute("calculator", {expression: 7}); } catch (e) { display(e.message); }
try { await tools.execute("calculator", {}); } catch (e) { display(e.message); }
try { await tools.execute("ghost", {}); } catch (e) { display(e.message); }
await state.set("k.nested", "deep");
display(await json.encode(await State.get("k")));
display(await state.get("nothing", "default"));
try { await state.set("", 1); } catch (e) { display(e.message); }
display(await llm.complete("alias complete", {model: "mock/script", responses: ["scripted"]}));
try { await llm.complete("x", {model: "mock/script"}); } catch (e) { display(e.message); }
