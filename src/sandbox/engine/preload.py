"""What a worker loads before its first chunk: the local pool's fork server imports this module before it forks
workers, and the Dask engine's workers import it at start (`sandbox.runtime`, setting `preload`).

It settles the process (`runtime.settle`: before numpy loads), imports the chunk pipeline, and fills the caches
every chunk needs whatever the recipe: the first-name lists the scan checks (Faker's locale providers), the
validators the detectors confirm with, the normal quantile tables, the library versions that key the pool and
scan caches, and the modules pyarrow and the Parquet writer load on their first use. Each worker inherits them
at fork instead of loading them on its first chunk (bench/RESULTS.md, "Runtime settings").
"""

from sandbox import runtime

runtime.settle()

import numpy as np  # noqa: E402
import phonenumbers  # noqa: E402,F401
import pyarrow as pa  # noqa: E402
import stdnum.de.idnr  # noqa: E402,F401
import stdnum.fr.nir  # noqa: E402,F401
import stdnum.iban  # noqa: E402,F401
import stdnum.imei  # noqa: E402,F401
import stdnum.luhn  # noqa: E402,F401
import stdnum.us.ssn  # noqa: E402,F401

from sandbox.core import draws  # noqa: E402
from sandbox.core.pools import cache_dir, faker_version  # noqa: E402
from sandbox.engine import pipeline  # noqa: E402,F401
from sandbox.output.writer import encode  # noqa: E402
from sandbox.privacy import findings, names, scan  # noqa: E402,F401

names.first_names()
names.last_names()
findings.detector_signature()
faker_version()
draws.normal_quantiles(np.float64)
draws.normal_quantiles(np.float32)
cache_dir()
pa.array(np.zeros(1), mask=np.zeros(1, bool))  # numpy.ma, and dateutil for Python values below
encode(pa.table({"x": [1.0], "s": ["x"]}))  # the Parquet writer with zstd
"x".encode("cp437")  # the codec of the names in the scan cache's .npz files
