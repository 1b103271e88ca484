display(await Artifact.store("notes/report", "v1 text", {kind: "draft", lang: "en"}));
display(await Artifact.store("notes/report", "version two", {kind: "final", lang: "en"}));
display(await Artifact.store("notes/summary", "été", {kind: "final", lang: "fr"}));
display(await Artifact.store("logo.txt", "art"));
display(await Artifact.get("notes/report"));
display(await Artifact.get("notes/report", 1));
let rows = [];
for (const a of await Artifact.list()) rows.push(a.name + "@" + a.version + ":" + a.size);
display(await json.encode(rows));
rows = [];
for (const a of await Artifact.list({meta: {kind: "final"}})) rows.push(a.name + "@" + a.version);
display(await json.encode(rows));
rows = [];
for (const a of await Artifact.list({meta: {kind: "final", lang: "fr"}})) rows.push(a.name);
display(await json.encode(rows));
display((await Artifact.list("notes/*")).length + " " + (await Artifact.list({meta: {kind: "nothing"}})).length);
display(await json.encode((await Artifact.list("logo.txt"))[0].meta));
try { await Artifact.get("notes/report", 0); } catch (e) { display(e.message); }
try { await Artifact.store("bad", "x", "not a map"); } catch (e) { display(e.message); }
display(await json.encode([await Artifact.delete("notes/report"), await Artifact.delete("notes/report")]));
try { await Artifact.get("notes/report"); } catch (e) { display(e.message); }
display(await Artifact.store("notes/report", "reborn"));
display((await Artifact.list()).length);
