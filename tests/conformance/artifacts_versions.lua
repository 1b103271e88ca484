local function message(f, ...) local _, e = pcall(f, ...) return (tostring(e):gsub("^[^:]*:%d+: ", "")) end
display(Artifact.store("notes/report", "v1 text", {kind = "draft", lang = "en"}))
display(Artifact.store("notes/report", "version two", {kind = "final", lang = "en"}))
display(Artifact.store("notes/summary", "été", {kind = "final", lang = "fr"}))
display(Artifact.store("logo.txt", "art"))
display(Artifact.get("notes/report"))
display(Artifact.get("notes/report", 1))
local rows = {}
for _, a in ipairs(Artifact.list()) do rows[#rows + 1] = a.name .. "@" .. a.version .. ":" .. a.size end
display(json.encode(rows))
rows = {}
for _, a in ipairs(Artifact.list({meta = {kind = "final"}})) do rows[#rows + 1] = a.name .. "@" .. a.version end
display(json.encode(rows))
rows = {}
for _, a in ipairs(Artifact.list({meta = {kind = "final", lang = "fr"}})) do rows[#rows + 1] = a.name end
display(json.encode(rows))
display(#Artifact.list("notes/*") .. " " .. #Artifact.list({meta = {kind = "nothing"}}))
display(json.encode(Artifact.list("logo.txt")[1].meta))
display(message(Artifact.get, "notes/report", 0))
display(message(Artifact.store, "bad", "x", "not a map"))
display(json.encode({Artifact.delete("notes/report"), Artifact.delete("notes/report")}))
display(message(Artifact.get, "notes/report"))
display(Artifact.store("notes/report", "reborn"))
display(#Artifact.list())
