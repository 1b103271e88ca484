display(await Prompt.render("{% for u in users %}{{ loop.index }}. {{ u.name | upper }}{% if not loop.last %}, {% endif %}{% endfor %}", {users: [{name: "ada"}, {name: "bob"}]}));
display(await Prompt.render("{{ items | join(' + ') }} = {{ items | sum }}", {items: [1, 2, 3]}));
display(await Prompt.render("{{ missing | default('none') }} / {{ text | length }} / {{ text | title }}", {text: "hello world"}));
display(await Prompt.render("{% for k, v in cfg | dictsort %}{{ k }}={{ v }};{% endfor %}", {cfg: {b: 2, a: 1}}));
display(await Prompt.render("{{ '%s-%s' | format(a, b) }}", {a: "x", b: "y"}));
try { await Prompt.render("{{ user.name }}", {}); } catch (e) { display(e.message); }
try { await Prompt.render("{{ cycler.__init__.__globals__ }}", {}); } catch (e) { display(e.message); }
try { await Prompt.render("{{ x | no_such_filter }}", {x: 1}); } catch (e) { display(e.message); }
try { await Prompt.render("{% for %}", {}); } catch (e) { display(e.message); }
