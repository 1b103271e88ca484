display(await Artifact.store("report.md", "# Draft", {agent: "writer"}));
display(await Artifact.store("report.md", "# Final", {agent: "editor"}));
display(await Artifact.store("data.csv", "a,b\n1,2\n", {kind: "table"}));
display(await Artifact.get("report.md"));
display(await Artifact.get("report.md", 1));
for (const a of await Artifact.list()) {
  display(a.name + " v" + a.version + " " + a.size + " bytes " + await json.encode(a.meta) + " by this engine: " + String(a.author.engine === Spell.engine));
}
display((await Artifact.list("*.md")).length);
display((await Artifact.list({meta: {kind: "table"}})).length);
display(await json.encode([await Artifact.delete("data.csv"), await Artifact.delete("data.csv")]));
try { await Artifact.get("data.csv"); } catch (e) { display(e.message); }
try { await Artifact.get("report.md", 9); } catch (e) { display(e.message); }
try { await Artifact.store("x", [1, 2]); } catch (e) { display(e.message); }
