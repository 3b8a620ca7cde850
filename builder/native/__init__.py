"""Native code as data, shared by the profile, wheels and verify stages: :mod:`.elf` reads ELF
shared objects (NEEDED, RUNPATH, versioned symbols, exports) and :mod:`.fatbin` the CUDA device
code inside them.  Nothing here knows a profile; the judgement is the wheels stage's
(:mod:`builder.wheels.native_checks`)."""
