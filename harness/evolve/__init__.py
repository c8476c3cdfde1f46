"""Schema evolution: compatibility modes, change codes, consumer impact."""
