"""Small helpers every stage uses, each written once: atomic writes (:mod:`.fs`), file
hashes and hash-pinned requirement lines (:mod:`.hashing`), version tuples
(:mod:`.versions`), strict TOML reading (:mod:`.toml`) and the target interpreter
(:mod:`.interpreter`)."""
