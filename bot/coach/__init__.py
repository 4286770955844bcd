"""The functional core: what comes next in a session, what an answer calls for, when a
reminder is due.

Nothing here does I/O or knows about Telegram or the database, so that every rule is a
plain function tested on its own.
"""
