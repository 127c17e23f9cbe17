"""The fault benchmark: what nippo's clients see when the database freezes, stops or drops them."""
