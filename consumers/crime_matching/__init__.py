"""Crime matching: who was within a distance of a crime scene while it happened, from reported positions."""
