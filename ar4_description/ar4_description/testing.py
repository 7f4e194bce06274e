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
Stand-ins for tests, for what cannot exist on a machine without ROS (the ROS graph).

Nothing here is used by a node. The stand-ins are kept to the calls the project makes, so a
test that uses them checks our code, not a model of ROS.
"""

from typing import List, Optional


class ExternalShutdownStandIn(Exception):
    """Stands in for rclpy.executors.ExternalShutdownException."""


class RclpyStandIn:
    """rclpy's module functions as node_startup.run_node calls them; records each call."""

    def __init__(self, spin_raises: Optional[BaseException] = None):
        #: What spin() raises to end (None: spin returns at once, as after rclpy.shutdown()).
        self.spin_raises = spin_raises
        self.calls: List[str] = []

    def init(self, args=None) -> None:
        """Record the call."""
        self.calls.append('init')

    def spin(self, node) -> None:
        """Record the call, then end the spin the way the test asked."""
        self.calls.append('spin')
        if self.spin_raises is not None:
            raise self.spin_raises

    def spin_until_future_complete(self, node, future) -> None:
        """Record the call, then end the spin the way the test asked (the node sets the result)."""
        self.calls.append('spin_until_future_complete')
        if self.spin_raises is not None:
            raise self.spin_raises

    def try_shutdown(self) -> None:
        """Record the call."""
        self.calls.append('try_shutdown')
