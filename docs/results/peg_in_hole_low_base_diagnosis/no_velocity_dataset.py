# Copy of the demo dataset with the tool's linear and angular velocity (state dims 9:15) zeroed.
import json, shutil, sys
import numpy as np, pyarrow.parquet as pq, pyarrow as pa
src, dst = sys.argv[1], sys.argv[2]
shutil.rmtree(dst, ignore_errors=True)
shutil.copytree(src, dst)
p = f"{dst}/data/chunk-000/file-000.parquet"
t = pq.read_table(p)
state = np.stack(t.column("observation.state").to_numpy(zero_copy_only=False)).astype(np.float32)
state[:, 9:15] = 0.0
col = pa.array(list(state), type=t.schema.field("observation.state").type)
t = t.set_column(t.schema.get_field_index("observation.state"), "observation.state", col)
pq.write_table(t, p)
s = json.load(open(f"{dst}/meta/stats.json"))
for k, v in s["observation.state"].items():
    if k != "count":
        a = np.array(v, dtype=np.float64); a[9:15] = 0.0; s["observation.state"][k] = a.tolist()
json.dump(s, open(f"{dst}/meta/stats.json", "w"), indent=2)
print("rows", len(state))
