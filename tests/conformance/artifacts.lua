local function message(f, ...) local _, e = pcall(f, ...) return (tostring(e):gsub("^[^:]*:%d+: ", "")) end
display(Artifact.store("report.md", "# Draft", {agent = "writer"}))
display(Artifact.store("report.md", "# Final", {agent = "editor"}))
display(Artifact.store("data.csv", "a,b\n1,2\n", {kind = "table"}))
display(Artifact.get("report.md"))
display(Artifact.get("report.md", 1))
for _, a in ipairs(Artifact.list()) do
  display(a.name .. " v" .. a.version .. " " .. a.size .. " bytes " .. json.encode(a.meta) .. " by this engine: " .. tostring(a.author.engine == Spell.engine))
end
display(#Artifact.list("*.md"))
display(#Artifact.list({meta = {kind = "table"}}))
display(json.encode({Artifact.delete("data.csv"), Artifact.delete("data.csv")}))
display(message(Artifact.get, "data.csv"))
display(message(Artifact.get, "report.md", 9))
display(message(Artifact.store, "x", {1, 2}))
