# Sourced by check.sh and batched_scale.sh (not run on its own): unpacks the carried CUDA
# build into $W/harness (sets H) and finds the libraries it needs (exports LD_LIBRARY_PATH).
# Expects G (this folder), CARRY (the packed build, see package.sh) and W (a scratch folder
# with a libs/ subfolder) to be set.
# The binary travels xz-compressed (56 MiB stripped, mostly PTX and sm_90a cubins).
if [ -e "$CARRY/harness" ]; then cp "$CARRY/harness" "$W/harness"
elif [ -e "$CARRY/harness.xz" ]; then
  if command -v xz >/dev/null; then xz -dc "$CARRY/harness.xz" > "$W/harness"
  else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],"wb"))' "$CARRY/harness.xz" "$W/harness"
  fi
else
  echo "error: no $CARRY/harness.xz (run benches/gpu/package.sh and carry benches/gpu/carry)"
  exit 2
fi
chmod +x "$W/harness"
H="$W/harness"
if [ -e "$CARRY/harness.sha256" ]; then
  (cd "$W" && sha256sum -c "$CARRY/harness.sha256") || echo "WARNING: the unpacked binary does not match harness.sha256"
fi
[ -e "$CARRY/BUILD.txt" ] && cat "$CARRY/BUILD.txt"

# Sonames the binary is linked against (candle 0.11.1 builds cudarc with `dynamic-linking`):
# NEEDED: libcuda.so.1 (the driver), libcudart.so.13 (carried in carry/lib), libcublas.so.13
# (which needs libcublasLt.so.13), libcurand.so.10. libnvrtc.so.13 is not NEEDED (the linker
# dropped it: candle's kernels come as PTX), it is only looked for, for information.
NEED="libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcurand.so.10 libnvrtc.so.13"
CANDS=("$CARRY/lib" /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib)
for d in /usr/local/cuda-13*/lib64 /usr/local/cuda-13*/targets/x86_64-linux/lib /usr/local/cuda*/lib64; do CANDS+=("$d"); done
CANDS+=(/usr/lib/x86_64-linux-gnu /usr/lib64 /usr/local/nvidia/lib64 /usr/local/lib)
for sp in $(python3 -c 'import site,sys; print("\n".join(site.getsitepackages()+[site.getusersitepackages()]+[p for p in sys.path if p.endswith("-packages")]))' 2>/dev/null); do
  for d in "$sp"/nvidia/cu13/lib "$sp"/nvidia/*/lib "$sp"/torch/lib; do CANDS+=("$d"); done
done
for d in ${CHECK_EXTRA_LIBDIRS:-}; do CANDS+=("$d"); done   # only for testing without a GPU
LIBDIRS=""
add_dir() { case ":$LIBDIRS:" in *":$1:"*) ;; *) LIBDIRS="${LIBDIRS:+$LIBDIRS:}$1";; esac; }
for lib in $NEED; do
  found=""
  for d in "${CANDS[@]}"; do
    case "$d" in *stubs*) continue;; esac   # never a toolkit's stub libcuda
    if [ -e "$d/$lib" ]; then found="$d"; break; fi
  done
  echo "LIB $lib -> ${found:-NOT FOUND}"
  [ -n "$found" ] && add_dir "$found"
done
# cudarc dlopens the unversioned libcublas.so for f16 gemms: give it a link.
for d in ${LIBDIRS//:/ }; do
  if [ -e "$d/libcublas.so.13" ]; then ln -sf "$d/libcublas.so.13" "$W/libs/libcublas.so"; break; fi
done
add_dir "$W/libs"
# The driver: normally in the ldconfig cache; otherwise look for it.
if ! ldconfig -p 2>/dev/null | grep -q 'libcuda.so.1 '; then
  for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/local/nvidia/lib64 /usr/lib/wsl/lib ${CHECK_EXTRA_LIBDIRS:-}; do
    case "$d" in *stubs*) continue;; esac
    if [ -e "$d/libcuda.so.1" ]; then add_dir "$d"; echo "LIB libcuda.so.1 -> $d"; break; fi
  done
else
  echo "LIB libcuda.so.1 -> $(ldconfig -p | grep 'libcuda.so.1 ' | head -1)"
fi
export LD_LIBRARY_PATH="$LIBDIRS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
