await State.schema("user", {type: "object", required: ["name"],
  properties: {name: {type: "string"}, age: {type: "integer", minimum: 0}}});
display(await State.set("user", {name: "Ada", age: 36}));
try { await State.set("user.age", -1); } catch (e) { display(e.message); }
try { await State.set("user", {age: 3}); } catch (e) { display(e.message); }
try { await State.update("user", (u) => { u.name = 42; return u; }); } catch (e) { display(e.message); }
display(await json.encode(await State.get("user")));
display(await State.version());
try { await State.schema("bad", {type: "no-such-type"}); } catch (e) { display(e.message); }
