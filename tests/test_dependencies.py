"""The points where the course meets its dependencies' extension hooks: each fails loudly
here when a new release of a dependency changes what it relies on."""

from __future__ import annotations

from jupyter_client.provisioning import KernelProvisionerFactory

from aecourse.grader.preprocessors import GradingExecute
from aecourse.sandbox.kernels import PROVISIONER, GradingKernelManager, SandboxProvisioner


def test_the_sandbox_provisioner_is_registered_and_chosen():
    km = GradingKernelManager(kernel_name="python3", mode="limits", work_dir="/nonexistent")
    spec = km.kernel_spec
    assert spec.metadata["kernel_provisioner"]["provisioner_name"] == PROVISIONER
    factory = KernelProvisionerFactory.instance()
    assert factory.is_provisioner_available(spec), (
        f"the entry point {PROVISIONER!r} is not installed: pip install -e . again")
    made = factory.create_provisioner_instance("k", spec, parent=km)
    assert isinstance(made, SandboxProvisioner) and made.parent is km


def test_nbclient_starts_kernels_through_the_methods_the_pool_overrides():
    # nbclient's synchronous wrappers are bound to its own coroutines at class creation; the
    # course rebinds them (see GradingExecute). If nbclient stops calling these names, kernels
    # started ahead are no longer used (tests/test_grade.py counts them too).
    import inspect

    from nbclient import NotebookClient

    source = inspect.getsource(NotebookClient.async_setup_kernel)
    assert "self.async_start_new_kernel(" in source
    assert "self.async_start_new_kernel_client(" in source
    assert GradingExecute.start_new_kernel is not NotebookClient.start_new_kernel
