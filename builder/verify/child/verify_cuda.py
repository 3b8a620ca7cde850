"""The GPU through the NVIDIA libraries themselves, by ctypes (stdlib only, Python 3.10).

* :func:`probe_machine` (the child's ``machine`` mode, run before levels 3-4): which of the
  requested libraries this machine's loader finds (the files it maps), and whether a GPU
  answers through the driver's ``libcuda.so.1`` (``cuInit``, the devices, their compute
  capability and memory) and NVML (``libnvidia-ml.so.1``: the driver's version).  Nothing
  here loads a stub: a library the loader does not find is reported missing.
* :func:`memory_reading` (level 3): every CUDA device's free and total memory through the
  ``libcudart.so.12`` the process has loaded (``cudaMemGetInfo``: device-wide, every
  process), and this process's resident memory.  Before the model load, NVML gives the
  baseline without creating a CUDA context (the context is then part of what is measured);
  without NVML the baseline is cudart's, taken after the context was made.
"""

from __future__ import annotations

import ctypes

from verify_common import loaded_file
from verify_protocol import DeviceMemory, FoundLibrary, GpuDevice, MachineRequest, MachineResult, MemoryReading

_CC_MAJOR, _CC_MINOR = 75, 76  # CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR / _MINOR
_MAX_DEVICES = 64


def _name(fn: object, *args: object) -> str:
    """A C string the library writes into a buffer (``fn(buf, len, *args)``), or ""."""
    buf = ctypes.create_string_buffer(256)
    try:
        if fn(buf, 256, *args) != 0:  # type: ignore[operator]
            return ""
    except (AttributeError, OSError):
        return ""
    return buf.value.decode("utf-8", "replace")


def _driver(cuda: ctypes.CDLL) -> tuple[str, list[GpuDevice], str]:
    """The driver's CUDA version, the devices it sees, and why none answered ("")."""
    version = ctypes.c_int(0)
    driver = ""
    if cuda.cuDriverGetVersion(ctypes.byref(version)) == 0 and version.value > 0:
        driver = f"{version.value // 1000}.{version.value % 1000 // 10}"
    rc = cuda.cuInit(0)
    if rc != 0:
        return driver, [], f"cuInit failed with CUDA error {rc}{_error_name(cuda, rc)}"
    count = ctypes.c_int(0)
    rc = cuda.cuDeviceGetCount(ctypes.byref(count))
    if rc != 0 or count.value <= 0:
        return driver, [], f"the driver sees no CUDA device (error {rc}{_error_name(cuda, rc)})"
    devices: list[GpuDevice] = []
    for i in range(min(count.value, _MAX_DEVICES)):
        dev = ctypes.c_int(0)
        if cuda.cuDeviceGet(ctypes.byref(dev), i) != 0:
            continue
        major, minor, mem = ctypes.c_int(0), ctypes.c_int(0), ctypes.c_size_t(0)
        cuda.cuDeviceGetAttribute(ctypes.byref(major), _CC_MAJOR, dev)
        cuda.cuDeviceGetAttribute(ctypes.byref(minor), _CC_MINOR, dev)
        cuda.cuDeviceTotalMem_v2(ctypes.byref(mem), dev)
        devices.append({"index": i, "name": _name(cuda.cuDeviceGetName, dev),
                        "compute_capability": f"{major.value}.{minor.value}", "memory": int(mem.value),
                        "pci_bus_id": _name(cuda.cuDeviceGetPCIBusId, dev)})
    return driver, devices, "" if devices else "the driver sees no usable CUDA device"


def _error_name(cuda: ctypes.CDLL, rc: int) -> str:
    text = ctypes.c_char_p()
    try:
        if cuda.cuGetErrorName(rc, ctypes.byref(text)) == 0 and text.value:
            return f" ({text.value.decode('utf-8', 'replace')})"
    except AttributeError:
        pass
    return ""


def _nvml() -> ctypes.CDLL | None:
    """NVML, initialised (the driver's ``libnvidia-ml.so.1``), or None."""
    try:
        nvml = ctypes.CDLL("libnvidia-ml.so.1")
        return nvml if nvml.nvmlInit_v2() == 0 else None
    except (OSError, AttributeError):
        return None


def driver_version() -> str:
    """The NVIDIA driver's version from NVML ("550.54.15"), or ""."""
    nvml = _nvml()
    return _name(nvml.nvmlSystemGetDriverVersion) if nvml is not None else ""


def probe_machine(req: MachineRequest) -> MachineResult:
    found: list[FoundLibrary] = []
    cuda: ctypes.CDLL | None = None
    for soname in req["libraries"]:
        try:
            lib = ctypes.CDLL(soname)
        except OSError as exc:
            found.append({"soname": soname, "path": "", "error": str(exc)[:300]})
            continue
        found.append({"soname": soname, "path": loaded_file(lib, soname), "error": ""})
        if soname == "libcuda.so.1":
            cuda = lib
    if cuda is None:
        try:
            cuda = ctypes.CDLL("libcuda.so.1")
        except OSError:
            return {"libraries": found, "driver": "", "driver_version": "", "devices": [],
                    "error": "no NVIDIA driver: libcuda.so.1 is not on this machine"}
    try:
        driver, devices, error = _driver(cuda)
    except AttributeError as exc:  # a libcuda.so.1 that is not NVIDIA's driver
        driver, devices, error = "", [], f"libcuda.so.1 is not a usable NVIDIA driver: {exc}"
    return {"libraries": found, "driver": driver, "driver_version": driver_version(), "devices": devices,
            "error": error}


# ------------------------------------------------------------------ device memory (level 3)


class _NvmlMemory(ctypes.Structure):
    _fields_ = [("total", ctypes.c_ulonglong), ("free", ctypes.c_ulonglong), ("used", ctypes.c_ulonglong)]


def _rss(field: str = "VmRSS") -> int:
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def peak_rss() -> int:
    return _rss("VmHWM")


def _nvml_devices(bus_ids: list[str]) -> list[DeviceMemory] | None:
    """Free and total memory of the devices with these PCI bus ids, from NVML (no CUDA context)."""
    nvml = _nvml()
    if nvml is None:
        return None
    out: list[DeviceMemory] = []
    for i, bus in enumerate(bus_ids):
        handle = ctypes.c_void_p()
        mem = _NvmlMemory()
        try:
            if nvml.nvmlDeviceGetHandleByPciBusId_v2(bus.encode(), ctypes.byref(handle)) != 0 or \
                    nvml.nvmlDeviceGetMemoryInfo(handle, ctypes.byref(mem)) != 0:
                return None
        except AttributeError:
            return None
        out.append({"device": i, "pci_bus_id": bus, "free": int(mem.free), "total": int(mem.total)})
    return out


def _cudart_devices() -> tuple[list[DeviceMemory], str]:
    """Every CUDA device's free and total memory through the process's libcudart."""
    try:
        rt = ctypes.CDLL("libcudart.so.12")
    except OSError as exc:
        return [], f"libcudart.so.12 is not loaded: {exc}"
    count, current = ctypes.c_int(0), ctypes.c_int(0)
    if rt.cudaGetDeviceCount(ctypes.byref(count)) != 0 or count.value <= 0:
        return [], "cudaGetDeviceCount found no device"
    rt.cudaGetDevice(ctypes.byref(current))
    out: list[DeviceMemory] = []
    try:
        for i in range(min(count.value, _MAX_DEVICES)):
            free, total = ctypes.c_size_t(0), ctypes.c_size_t(0)
            if rt.cudaSetDevice(i) != 0 or rt.cudaMemGetInfo(ctypes.byref(free), ctypes.byref(total)) != 0:
                return out, f"cudaMemGetInfo failed on device {i}"
            out.append({"device": i, "pci_bus_id": _name(rt.cudaDeviceGetPCIBusId, i), "free": int(free.value),
                        "total": int(total.value)})
    finally:
        rt.cudaSetDevice(current.value)
    return out, ""


def _cudart_bus_ids() -> list[str]:
    """The PCI bus ids of the CUDA devices in cudart's order, without making a context."""
    try:
        rt = ctypes.CDLL("libcudart.so.12")
    except OSError:
        return []
    count = ctypes.c_int(0)
    if rt.cudaGetDeviceCount(ctypes.byref(count)) != 0:
        return []
    return [_name(rt.cudaDeviceGetPCIBusId, i) for i in range(min(count.value, _MAX_DEVICES))]


def memory_reading(at: str) -> MemoryReading:
    """The devices' memory now; ``at="before"`` prefers NVML (no CUDA context of ours yet)."""
    if at == "before":
        ids = _cudart_bus_ids()
        nvml = _nvml_devices(ids) if ids and all(ids) else None
        if nvml is not None:
            return {"at": at, "devices": nvml, "baseline": "nvml", "rss": _rss(), "error": ""}
    devices, error = _cudart_devices()
    return {"at": at, "devices": devices, "baseline": "cudart", "rss": _rss(), "error": error}
