"""ipywidgets views of a session: workflow progress (and, later, the event timeline and state browser)."""
