"""Transports behind one small interface: connect, publish, tap. FastStream underneath."""
