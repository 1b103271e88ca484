display(await State.set("user", {name: "Ada", langs: ["lua", "go"]}));
display(await State.set("user.age", 36));
display(await State.get("user.name"));
display(await json.encode(await State.get("user")));
display(await State.get("missing", "fallback"));
display(await json.encode(await State.keys()));
display(await State.delete("user.langs"));
display(await json.encode(await State.get("user")));
display(await State.version());
try { await State.set("a..b", 1); } catch (e) { display(e.message); }
try { await State.set("user.name.first", "x"); } catch (e) { display(e.message); }
