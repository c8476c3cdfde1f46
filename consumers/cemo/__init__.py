"""CEMO ("Create an EM Order") as a consumer: it follows each order it submitted through the supplier."""
