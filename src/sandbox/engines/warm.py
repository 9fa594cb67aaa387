"""What the local pool's fork server loads before it forks a worker, so no worker loads it on its first chunk.

Importing this module imports the chunk task and fills the caches every chunk needs whatever the recipe: the
first-name lists the scan checks (Faker's locale providers), the validators the detectors confirm with, the
normal quantile tables and the library versions that key the pool and scan caches. Each worker inherits them
at fork; its first chunk took 0.25-0.3 s longer before. (The Dask engine preloads it too, after pandas.)
"""

from __future__ import annotations

import numpy as np
import phonenumbers  # noqa: F401
import pyarrow as pa
import stdnum.de.idnr  # noqa: F401
import stdnum.fr.nir  # noqa: F401
import stdnum.iban  # noqa: F401
import stdnum.imei  # noqa: F401
import stdnum.luhn  # noqa: F401
import stdnum.us.ssn  # noqa: F401

from sandbox import draws
from sandbox.engines import task  # noqa: F401
from sandbox.output.writer import encode
from sandbox.pools import cache_dir, faker_version
from sandbox.privacy import detect, scan

detect.first_names()
scan.detector_signature()
faker_version()
draws.normal_quantiles(np.float64)
draws.normal_quantiles(np.float32)
# what a first chunk loaded on its way (~25 ms of each worker's first chunk): the modules pyarrow imports when
# it first converts Python strings (dateutil) and masked arrays (numpy.ma), the pool cache's folder
# (platformdirs), the codec of the names in the scan cache's .npz files, and the Parquet writer with zstd
pa.array(["x"])
pa.array(np.zeros(1), mask=np.zeros(1, bool))
cache_dir()
"x".encode("cp437")
encode(pa.table({"x": [1.0], "s": ["x"]}))
