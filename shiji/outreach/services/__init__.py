"""Writes of open-door education. ``intake`` creates items (the public
portal, staff entering an item on someone's behalf, demands raised at a
roundtable or a visit); the other modules move them on."""
