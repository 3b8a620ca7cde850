"""Scripts that ``verify`` runs with the *target* interpreter (CPython 3.10, ``-I -B``).

They are copied nowhere and imported by nothing in the builder: they run as files,
stdlib-only, and talk to the builder through a JSON request and a JSON result file.
"""
