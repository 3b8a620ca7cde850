"""Peak memory of a child process, measured by the child itself.

``ru_maxrss`` is the wrong number for a child of the test process: at exec Linux folds the
previous address space's high-water mark into it, and a child made by ``vfork`` (what
``subprocess`` uses) had the parent's — the whole pytest session's.  ``VmHWM`` belongs to
the address space the child runs in after exec.
"""

#: A Python expression, for the code a test runs in a child: its peak RSS so far, in KiB.
PEAK_KIB = "[int(ln.split()[1]) for ln in open('/proc/self/status') if ln.startswith('VmHWM:')][0]"
