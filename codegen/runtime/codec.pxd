# C types for `codec.py` when `avrobind generate --compile` builds it with Cython (an
# "augmenting" .pxd: the .py stays the source; this only declares types). The pure-Python
# package never reads it. Every declaration here must keep the .py's results: values that a
# C type cannot hold are refused in the .py first (a 10th varint byte above 1, a length
# beyond the data).
cimport cython

@cython.locals(b=cython.ulonglong, n=cython.ulonglong, r=cython.longlong)
cpdef tuple read_long(bytes data, Py_ssize_t pos)

@cython.locals(b=cython.long, c=cython.long)
cpdef tuple read_len(bytes data, Py_ssize_t pos)

@cython.locals(end=cython.Py_ssize_t)
cpdef tuple read_bytes(bytes data, Py_ssize_t pos)

cpdef tuple read_string(bytes data, Py_ssize_t pos)

@cython.locals(z=cython.ulonglong)
cpdef write_len(bytearray buf, unsigned long long n)

@cython.locals(z=cython.ulonglong, v=cython.longlong)
cpdef write_int(bytearray buf, n)

@cython.locals(z=cython.ulonglong, v=cython.longlong)
cpdef write_long(bytearray buf, n)

@cython.locals(z=cython.ulonglong)
cpdef _write_varint(bytearray buf, long long n)
