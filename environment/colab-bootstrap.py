# Colab (or any hosted Python Jupyter) bootstrap for the TypeScript course — paste into the first cell of a
# Python runtime and run it once. It installs Node 20, the course and its npm dependencies, and registers the
# course's tslab kernel. Then open a course notebook (its metadata asks for the "tslab" kernel) and choose
# Runtime → "Restart session" (or reload the page) so the runtime starts that kernel.
# Not verified in CI (CI has no Colab); it needs the network, as Colab has.
import os, subprocess

COURSE_URL = os.environ.get("LLM_COURSE_URL", "")  # a git URL or an npm-packed tarball of this repository
COURSE_DIR = "/content/llm-course"

def sh(cmd):
    print("$", cmd)
    subprocess.run(cmd, shell=True, check=True)

if subprocess.run("node --version | grep -q '^v2[0-9]'", shell=True).returncode != 0:
    sh("curl -fsSL https://deb.nodesource.com/setup_20.x | bash - && apt-get install -y -qq nodejs")
if not os.path.isdir(COURSE_DIR):
    if not COURSE_URL:
        raise SystemExit("Set LLM_COURSE_URL to the course's git URL first (os.environ['LLM_COURSE_URL'] = '...').")
    sh(f"git clone --depth 1 {COURSE_URL} {COURSE_DIR}")
sh(f"cd {COURSE_DIR} && npm ci --no-audit --no-fund && node environment/register-kernel.mjs --user")
# Notebooks import @llm-course/lib, which TypeScript resolves from the kernel's folder upwards; Colab runs
# kernels in /content, so that folder gets a node_modules link to the course's.
if not os.path.exists("/content/node_modules"):
    os.symlink(f"{COURSE_DIR}/node_modules", "/content/node_modules")
print("Kernel 'tslab' registered. Open a course notebook and restart the session.")
