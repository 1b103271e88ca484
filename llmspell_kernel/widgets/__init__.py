"""ipywidgets views of a session: workflow progress, the event timeline and the state history browser."""
