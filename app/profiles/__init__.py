"""Enterprise profiles (企业画像): the data policy items are matched against; apart from the evaluation pool."""
