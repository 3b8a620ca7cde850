"""Verify on a machine with an NVIDIA GPU: the target's own CUDA runtime, llama.cpp's load
log, and what the measurements say about the target's GPU.

* :mod:`.libraries`: which file stands for each of the target's CUDA runtime libraries
  (``libcudart.so.12``, ``libcublas.so.12``, ``libcublasLt.so.12``) on this machine: the
  image's own (``verify --here``), a folder the user gives (``--cuda-runtime DIR``), the
  machine's own when it is the profile's version, the profile's pinned wheels (cached);
  the driver's ``libcuda.so.1`` is always the machine's.
* :mod:`.loadlog`: the pinned llama.cpp's load log read back (devices, layers offloaded,
  buffers per device, allocation failures).
* :mod:`.estimate`: the numbers levels 3-4 reason with: known GPUs (memory bandwidth, FP16
  tensor throughput) to estimate the target's GPU from another one, the RAM a model needs
  on a CPU, how long a game would take at level 3's measured speed.
* :mod:`.judge`: what levels 3 and 4 conclude from those (problems, notes, details).

Without a GPU nothing here claims a GPU result: levels 3-4 take the stub path
(:mod:`builder.verify.stubs`) and the report says the GPU was not checked.
"""
