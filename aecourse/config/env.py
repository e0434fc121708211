"""The environment variables the course reads, by name: the one place they are spelled."""

BUDGET = "AECOURSE_BUDGET"  # "teaching" or "grading" (see aecourse.budget)
DATA = "AECOURSE_DATA"  # a folder holding Fashion-MNIST's four IDX files
OFFLINE = "AECOURSE_OFFLINE"  # "1": never download
FORKSERVER = "AECOURSE_FORKSERVER"  # "0": start grading kernels one by one
FORKSERVER_FOLDER = "AECOURSE_FORKSERVER_FOLDER"  # the fork server a worker's parent shares
# Set by nbgrader while it runs a notebook (autograde, validate): the grading budget applies.
NBGRADER_EXECUTION = "NBGRADER_EXECUTION"
NBGRADER_VALIDATING = "NBGRADER_VALIDATING"
