"""The engine: plan, run, judge, events. It yields typed events and knows nothing of how they are shown."""
