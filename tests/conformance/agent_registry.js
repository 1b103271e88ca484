await Agent.create({name: "b"});
await Agent.new({name: "a"});
display(await json.encode(await Agent.list()));
display((await Agent.get("a")).name);
try { await Agent.create({name: "a"}); } catch (e) { display(e.message); }
try { await Agent.get("zed"); } catch (e) { display(e.message); }
try { await Agent.create({colour: "red"}); } catch (e) { display(e.message); }
display(await json.encode([await Agent.remove("a"), await Agent.remove("a")]));
display(await json.encode(await Agent.list()));
const anon = await Agent.create({});
display(anon.name);
