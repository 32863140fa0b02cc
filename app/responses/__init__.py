"""The anonymous response store: what respondents hand in, with nothing that leads back to them."""
