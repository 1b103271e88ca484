display(await json.encode({text: "héllo ✓ 日本", emoji: "🙂"}));
const back = await json.decode('{"s": "\\u00e9t\\u00e9", "deep": {"a": [1, [2, [3, {"b": true}]]]}}');
display(back.s);
display(await json.encode(back.deep));
display(back.deep.a[1][1][1].b);
display(await json.encode(await json.decode("[]")));
display(await json.encode(await json.decode("{}")));
display(await json.encode(await json.decode('{"l": [], "m": {}}')));
display(await json.encode([1, "two", 3.5, false]));
display(await json.decode('"just a string"'));
display(await json.decode("42") + 1);
try { await json.decode("{not json"); } catch (e) { display(e.message); }
try { await json.decode(""); } catch (e) { display(e.message); }
