await State.set("user", {name: "Ada", address: {city: "London", zip: "N1"}});
display(await State.get("user.address.city"));
await State.set("user.address.city", "Paris");
display(await json.encode(await State.get("user")));
await State.set("config.debug.level", 3);
display(await json.encode(await State.get("config")));
await State.delete("user.address.zip");
display(await json.encode(await State.get("user.address")));
display(await State.get("user.missing.deep", "fallback"));
display(await json.encode(await State.keys()));
const h = await State.history();
const last = h[h.length - 1];
display(last.key + " " + last.op + " " + await json.encode(last.old));
await State.set("flat", "text");
try { await State.set("flat.inner", 1); } catch (e) { display(e.message); }
display(await State.get("flat"));
display(await State.update("user.age", (old) => (old ?? 35) + 1));
display(await State.get("user.age"));
