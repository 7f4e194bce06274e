# Copyright 2026 The AR4 LeRobot Authors
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""
Training support for ``ar4-train``: request checking, lerobot arguments, OOM retries, loss fix.

Everything here is plain Python and torch (no ROS). The lerobot training loop itself runs in a
child process (:mod:`ar4_policy.training.child`) so that a CUDA out-of-memory error can be
retried in a fresh process with a clean allocator.
"""
