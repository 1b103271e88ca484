display(await json.encode({b: 1, a: [true, "x", 1.5], c: "ünï"}));
display(await json.encode(await json.decode('{"z": [1, 2, {"y": false}], "n": -3}')));
try { await json.decode("{nope"); } catch (e) { display(e.message); }
display(await fs.write("dir/sub/a.txt", "hello"));
display(await fs.append("dir/sub/a.txt", " world"));
display(await fs.read("dir/sub/a.txt"));
display(await json.encode([await fs.exists("dir/sub/a.txt"), await fs.exists("dir/none.txt")]));
await fs.write("dir/b.txt", "b");
display(await json.encode(await fs.list("dir")));
display(await json.encode([await fs.remove("dir/b.txt"), await fs.remove("dir/b.txt")]));
try { await fs.read("../escape.txt"); } catch (e) { display(e.message); }
try { await fs.read("/etc/hostname"); } catch (e) { display(e.message); }
try { await fs.read("dir/none.txt"); } catch (e) { display(e.message); }
