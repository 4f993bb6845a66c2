# Copy of the demo dataset whose action position (dims 0:3) is the target minus the tool position.
import json, shutil, sys
import numpy as np, pyarrow.parquet as pq, pyarrow as pa
src, dst = sys.argv[1], sys.argv[2]
shutil.rmtree(dst, ignore_errors=True)
shutil.copytree(src, dst)
p = f"{dst}/data/chunk-000/file-000.parquet"
t = pq.read_table(p)
state = np.stack(t.column("observation.state").to_numpy(zero_copy_only=False)).astype(np.float32)
act = np.stack(t.column("action").to_numpy(zero_copy_only=False)).astype(np.float32)
act[:, :3] -= state[:, :3]
t = t.set_column(t.schema.get_field_index("action"), "action", pa.array(list(act), type=t.schema.field("action").type))
pq.write_table(t, p)
s = json.load(open(f"{dst}/meta/stats.json"))
for k in ("min", "max", "mean", "std", "q01", "q10", "q50", "q90", "q99"):
    a = np.array(s["action"][k], dtype=np.float64)
    fn = {"min": np.min, "max": np.max, "mean": np.mean, "std": np.std}.get(k)
    a[:3] = fn(act[:, :3], axis=0) if fn else np.quantile(act[:, :3], int(k[1:]) / 100, axis=0)
    s["action"][k] = a.tolist()
json.dump(s, open(f"{dst}/meta/stats.json", "w"), indent=2)
print("delta min", act[:, :3].min(0), "max", act[:, :3].max(0))
