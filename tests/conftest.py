import atexit
import os
import shutil
import sys
import tempfile

# tests/reference.py is imported as a plain module by the parity tests
sys.path.insert(0, os.path.dirname(__file__))

# The writer caches merged stdatamodels schemas (ramps.specs.schema.schema_cache), by
# default under the home folder, shared by every run: each test run gets its own,
# inherited by the subprocesses it starts, and removed at the end.
_CACHE = tempfile.mkdtemp(prefix="ramps-test-cache-")
os.environ["RAMPS_CACHE_DIR"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)

# Roman files written by roman_datamodels (the `roman_file` fixture), for every folder
pytest_plugins = ["roman_fixtures"]
