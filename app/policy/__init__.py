"""The policy window, part 1 (惠企政策): the catalogue, matching with reasons, precise push, the public catalogue."""
