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
Tell MoveIt about the table and the shelf: add them to move_group's planning scene, then exit.

Run by sim.launch.py as ``python3 -m ar4_gazebo.add_planning_scene_objects``. The geometry is
ar4_gazebo.planning_scene_objects' reading of the world file. It is sent to move_group's
``/apply_planning_scene`` service (the ApplyPlanningSceneService capability, loaded by default
in Jazzy), which answers whether the scene took it, rather than published on /planning_scene,
where a message sent before move_group listens is lost. Exits 0 once applied, 1 if move_group
did not take it in time, 2 if the world file has no table or shelf.
"""

import sys
from types import SimpleNamespace
import time

from ar4_description.node_startup import run_one_shot_node
from ar4_gazebo import planning_scene_objects
from ar4_gazebo.world import DEFAULT_WORLD, load_world, WorldError
from geometry_msgs.msg import Point, Polygon, Pose, Quaternion
from moveit_msgs.msg import CollisionObject, PlanningScene, PlanningSceneWorld
from moveit_msgs.srv import ApplyPlanningScene
from rcl_interfaces.msg import FloatingPointRange, ParameterDescriptor
import rclpy
from rclpy.clock import Clock, ClockType
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.task import Future
from shape_msgs.msg import SolidPrimitive
from std_msgs.msg import Header

CLASSES = SimpleNamespace(SolidPrimitive=SolidPrimitive, Polygon=Polygon, Pose=Pose,
                          Point=Point, Quaternion=Quaternion)
SERVICE = '/apply_planning_scene'


def planning_scene_diff(objects, frame_id):
    """Return the PlanningScene diff that adds every SceneObject as a CollisionObject."""
    collision_objects = [CollisionObject(
        header=Header(frame_id=frame_id), id=scene_object.id,
        pose=planning_scene_objects.identity_pose(CLASSES),
        primitives=[planning_scene_objects.solid_primitive(CLASSES, box)
                    for box in scene_object.boxes],
        primitive_poses=[planning_scene_objects.pose_message(CLASSES, box)
                         for box in scene_object.boxes],
        operation=CollisionObject.ADD) for scene_object in objects]
    scene = PlanningScene(is_diff=True, world=PlanningSceneWorld(
        collision_objects=collision_objects))
    scene.robot_state.is_diff = True
    return scene


class AddPlanningSceneObjects(Node):
    """Apply the table and the shelf to move_group's planning scene, retrying until it works."""

    def __init__(self):
        super().__init__('ar4_planning_scene')
        self.declare_parameter('world_file', str(DEFAULT_WORLD), ParameterDescriptor(
            description='SDF world whose table and shelf models are added.', read_only=True))
        self.declare_parameter('timeout_s', 300.0, ParameterDescriptor(
            description='Give up (exit 1) after this many steady-clock seconds.',
            read_only=True,
            floating_point_range=[FloatingPointRange(from_value=1.0, to_value=3600.0)]))
        self.timeout_s = self.get_parameter('timeout_s').value
        world_file = self.get_parameter('world_file').value
        self.objects = planning_scene_objects.scene_objects(load_world(world_file))
        self.request = ApplyPlanningScene.Request(scene=planning_scene_diff(
            self.objects, planning_scene_objects.PLANNING_FRAME))
        self.summary = ', '.join(f'{o.id} ({len(o.boxes)} boxes)' for o in self.objects)
        self.finished = Future()
        self.started = time.monotonic()
        self.pending = None
        self.client = self.create_client(ApplyPlanningScene, SERVICE)
        # Steady clock: the timer must run (and time out) whether or not /clock advances.
        self.create_timer(1.0, self.step, clock=Clock(clock_type=ClockType.STEADY_TIME))

    def step(self):
        if self.finished.done() or self.pending is not None:
            return
        if time.monotonic() - self.started > self.timeout_s:
            self.get_logger().error(
                f'move_group did not take the planning scene objects within '
                f'{self.timeout_s:.0f} s ({SERVICE}): MoveIt plans ignore the shelf')
            self.finished.set_result(1)
            return
        if self.client.service_is_ready():
            self.pending = self.client.call_async(self.request)
            self.pending.add_done_callback(self.on_applied)

    def on_applied(self, future):
        self.pending = None
        response = future.result()
        if response is not None and response.success:
            self.get_logger().info(f'planning scene: added {self.summary}')
            self.finished.set_result(0)
        else:
            self.get_logger().warning('move_group refused the planning scene objects; '
                                      'trying again')


def main(args=None):
    """Add the objects; the exit status says whether move_group took them."""
    return run_one_shot_node('add_planning_scene_objects', AddPlanningSceneObjects, rclpy,
                             shutdown_errors=(ExternalShutdownException,), args=args,
                             config_errors=(WorldError, ValueError))


if __name__ == '__main__':
    sys.exit(main())
