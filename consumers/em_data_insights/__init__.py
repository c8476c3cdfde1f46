"""EM Data Insights: where a wearer was, what the device reported and which violations were raised, on one timeline."""
