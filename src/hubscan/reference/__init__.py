"""Reference data shared by card parsing and estimation: hardware, regions, grid intensity, PUE, and the resolvers that map names people write onto them."""
