await fs.write("logs/app.log", "one\n");
await fs.append("logs/app.log", "two\n");
await fs.append("logs/new/created.log", "fresh");
display(await json.encode(await fs.read("logs/app.log")));
display(await json.encode(await fs.list("logs")));
display(await json.encode([await fs.exists("logs/new/created.log"), await fs.exists("nope.txt")]));
await fs.remove("logs/app.log");
display(await json.encode(await fs.list("logs")));
try { await fs.read("missing.txt"); } catch (e) { display(e.message); }
display(await json.encode(await fs.remove("missing.txt")));
try { await fs.list("no_dir"); } catch (e) { display(e.message); }
try { await fs.write("../escape.txt", "x"); } catch (e) { display(e.message); }
try { await fs.append("/etc/passwd", "x"); } catch (e) { display(e.message); }
try { await fs.read("logs/../../outside"); } catch (e) { display(e.message); }
try { await fs.exists("../"); } catch (e) { display(e.message); }
