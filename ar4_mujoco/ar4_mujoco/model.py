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
Build the MuJoCo model of the AR4 twin from the files Gazebo loads.

Nothing here is a second copy of the robot or the scene:

- the robot is the expanded xacro (``ar4_description.xacro_model.robot_description``) compiled by
  MuJoCo's own URDF compiler, so links, inertias, joint axes, limits and efforts are the URDF's;
- the mimic jaw becomes a joint equality constraint read from the URDF's ``<mimic>`` tag;
- the wrist camera sits on the URDF's ``wrist_camera_link`` with the field of view and image size
  of its ``<gazebo><sensor type="camera">`` block;
- the jaw pad friction comes from the URDF's Gazebo ``mu1``/``mu2`` tags (mapped, see
  :func:`mujoco_friction`);
- table, shelf and cubes come from the SDF world through ``ar4_gazebo.world.load_world``.

What the twin adds is what Gazebo's controllers would add: position actuators tracking
joint_1..joint_6 and the driven jaw (gains below, force limits from the URDF efforts).

Visual settings are chosen for speed on a CPU (Mesa llvmpipe through EGL, or OSMesa): shadows off
(shadow map size 0), multisampling off (``offsamples = 0``) and no reflections. With MuJoCo's
defaults a 480x640 frame costs ~50 ms on 2 cores; with these settings a few milliseconds.
"""

from dataclasses import dataclass
import math
from typing import Dict, Optional, Tuple
import xml.etree.ElementTree as ElementTree

from ar4_description.robot_constants import robot_constants
import mujoco
import numpy as np

from .scene import Scene, scene_from_world

#: MuJoCo's sliding friction is a plain Coulomb coefficient inside a soft contact model; ODE's
#: "never slip" values (Gazebo users write mu = 1e5 on gripper pads) are meaningless there and
#: make the solver stiff. Coefficients are clipped into [MIN_FRICTION, MAX_FRICTION]; with
#: elliptic cones, condim 4 and a high impratio, mu = 2 already holds a cube without slip.
MIN_FRICTION = 0.1
MAX_FRICTION = 2.0
#: Torsional and rolling friction (MuJoCo lengths, metres) for condim 4/6 contacts: torsion stops
#: a pinched cube from spinning about the jaw axis.
TORSIONAL_FRICTION = 0.02
ROLLING_FRICTION = 0.0001
#: Contact dimensionality on pads and cubes (sliding + torsional friction).
GRASP_CONDIM = 4
#: Stiffer contact than MuJoCo's default (time constant 0.02 s) for pads and cubes, as Gazebo's
#: rigid contacts are: a 20 N pinch then sinks a fraction of a millimetre, not millimetres.
GRASP_SOLREF = (0.004, 1.0)
#: Ratio of frictional to normal impedance: > 1 makes friction cones "harder" so grasps hold.
IMPRATIO = 10.0

#: Position gains (N m/rad or N/m) and damping of the tracking actuators. Stiff and well damped,
#: like the JTC's position interface on gz_ros2_control, which follows the setpoint closely.
ARM_KP = (400.0, 400.0, 300.0, 60.0, 60.0, 30.0)
ARM_KV = (40.0, 40.0, 30.0, 4.0, 4.0, 2.0)
#: Rotor inertia reflected through the stepper gearboxes (kg m^2); keeps the stiff loop stable.
ARM_ARMATURE = (0.05, 0.05, 0.03, 0.01, 0.01, 0.005)
GRIPPER_KP = 2000.0
GRIPPER_KV = 20.0
GRIPPER_ARMATURE = 0.01

#: Names the twin adds to the model.
CAMERA_NAME = 'wrist_camera'
PAD_SITE_NAME = 'pad_centre'
CAMERA_LINK = 'wrist_camera_link'

#: Contact bits. Like Gazebo's default (self_collide false), robot links do not collide with
#: each other: robot geoms have contype ROBOT_BIT and affinity SCENE_BIT; scene geoms (table,
#: shelf, cubes) have contype SCENE_BIT and affinity SCENE_BIT | ROBOT_BIT.
ROBOT_BIT = 2
SCENE_BIT = 1

#: Render group for collision geoms, hidden in the camera image (visual geoms stay in group 1).
COLLISION_GROUP = 3

#: Frame period the physics step is fitted to (the recorder's 30 frames/s).
FRAME_PERIOD_S = 1.0 / 30.0
#: Finest physics step the twin uses (s); see _physics_substeps.
MIN_TIMESTEP_S = 0.002


class ModelError(RuntimeError):
    """The URDF or the world cannot be turned into a MuJoCo model; the message says why."""


@dataclass(frozen=True)
class CameraSpec:
    """The wrist camera as the URDF's Gazebo sensor describes it."""

    link: str
    horizontal_fov: float
    width: int
    height: int
    update_rate: float
    pose: Tuple[float, ...]
    near: float = 0.01
    far: float = 3.0

    @property
    def fovy_deg(self) -> float:
        """Return MuJoCo's vertical field of view (degrees) for this FOV and aspect ratio."""
        return math.degrees(vertical_fov(self.horizontal_fov, self.width, self.height))


@dataclass(frozen=True)
class UrdfFacts:
    """What the twin reads from the URDF besides what MuJoCo's compiler already takes."""

    mimic: Dict[str, Tuple[str, float, float]]
    surface_mu: Dict[str, Tuple[float, float]]
    camera: CameraSpec
    clean_urdf: str


@dataclass(frozen=True)
class TwinModel:
    """The compiled model plus the names and ids the environment needs."""

    model: mujoco.MjModel
    scene: Scene
    camera: CameraSpec
    arm_joints: Tuple[str, ...]
    gripper_joint: str
    mimic_joint: str
    substeps: int
    pad_friction: float
    arm_qpos: np.ndarray
    arm_dof: np.ndarray
    gripper_qpos: int
    mimic_qpos: int
    actuators: np.ndarray
    cube_qpos: Dict[str, int]
    cube_body: Dict[str, int]
    robot_geoms: np.ndarray


def vertical_fov(horizontal_fov: float, width: int, height: int) -> float:
    """Return the vertical FOV (rad) of a pinhole camera with this horizontal FOV and size."""
    return 2.0 * math.atan(math.tan(horizontal_fov / 2.0) * height / width)


def mujoco_friction(mu1: float, mu2: Optional[float] = None) -> float:
    """
    Map Gazebo (ODE) friction coefficients to MuJoCo's sliding friction.

    The smaller of mu1 and mu2 is the conservative Coulomb coefficient; it is clipped into
    [MIN_FRICTION, MAX_FRICTION] because MuJoCo treats it as a physical coefficient while ODE
    setups use huge values (1e5) to mean "never slip".
    """
    mu = mu1 if mu2 is None else min(mu1, mu2)
    return float(min(max(mu, MIN_FRICTION), MAX_FRICTION))


def _floats(text: Optional[str], count: int, where: str) -> Tuple[float, ...]:
    values = tuple(float(v) for v in (text or '').split())
    if len(values) != count:
        raise ModelError(f'{where}: expected {count} numbers, got {text!r}')
    return values


def read_urdf(urdf: str) -> UrdfFacts:
    """
    Read mimic joints, Gazebo friction and the camera sensor; strip tags MuJoCo does not know.

    Return the facts and the URDF text prepared for MuJoCo's compiler (static bodies kept so the
    camera link exists, visual geoms kept for rendering).
    """
    try:
        root = ElementTree.fromstring(urdf)
    except ElementTree.ParseError as error:
        raise ModelError(f'the robot description is not valid XML: {error}') from None
    mimic = {}
    for joint in root.findall('joint'):
        tag = joint.find('mimic')
        if tag is not None:
            mimic[joint.get('name')] = (tag.get('joint'), float(tag.get('multiplier', '1')),
                                        float(tag.get('offset', '0')))
    surface_mu = {}
    camera = None
    for gazebo in root.findall('gazebo'):
        reference = gazebo.get('reference')
        mu1, mu2 = gazebo.find('mu1'), gazebo.find('mu2')
        if reference and mu1 is not None:
            surface_mu[reference] = (float(mu1.text),
                                     float(mu2.text) if mu2 is not None else float(mu1.text))
        sensor = gazebo.find('sensor')
        if reference and sensor is not None and sensor.get('type') == 'camera':
            cam = sensor.find('camera')
            if cam is None or cam.find('horizontal_fov') is None:
                raise ModelError(f'camera sensor on {reference} has no <camera><horizontal_fov>')
            image = cam.find('image')
            width = int(image.findtext('width', '640')) if image is not None else 640
            height = int(image.findtext('height', '480')) if image is not None else 480
            pose_text = sensor.findtext('pose')
            pose = _floats(pose_text, 6, f'{reference} sensor pose') if pose_text else (0.0,) * 6
            camera = CameraSpec(
                link=reference, horizontal_fov=float(cam.findtext('horizontal_fov')),
                width=width, height=height,
                update_rate=float(sensor.findtext('update_rate', '30')), pose=pose,
                near=float(cam.findtext('clip/near', '0.01')),
                far=float(cam.findtext('clip/far', '3.0')))
    if camera is None:
        raise ModelError('the robot description has no <gazebo><sensor type="camera"> block; '
                         'expand the xacro with the wrist camera')
    for tag in ('gazebo', 'ros2_control', 'transmission', 'mujoco'):
        for element in root.findall(tag):
            root.remove(element)
    compiler = ElementTree.SubElement(ElementTree.SubElement(root, 'mujoco'), 'compiler')
    compiler.attrib.update({'fusestatic': 'false', 'discardvisual': 'false',
                            'strippath': 'false', 'balanceinertia': 'true',
                            'angle': 'radian'})
    return UrdfFacts(mimic=mimic, surface_mu=surface_mu, camera=camera,
                     clean_urdf=ElementTree.tostring(root, encoding='unicode'))


def _euler_to_quat(roll: float, pitch: float, yaw: float) -> np.ndarray:
    quat = np.zeros(4)
    mujoco.mju_euler2Quat(quat, np.array([roll, pitch, yaw]), 'XYZ')
    return quat


def _mul_quat(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.zeros(4)
    mujoco.mju_mulQuat(out, a, b)
    return out


def camera_quat(pose_rpy: Tuple[float, float, float]) -> np.ndarray:
    """
    Return the MuJoCo camera orientation in its link frame.

    A Gazebo camera looks along its frame's +x with +z up; a MuJoCo camera looks along -z with +y
    up. The fixed rotation maps camera x to link -y, camera y to link +z, camera z to link -x,
    applied after the sensor's own ``<pose>`` rotation (SDF roll-pitch-yaw, fixed axes).
    """
    mat = np.array([[0.0, 0.0, -1.0], [-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    gz_to_mj = np.zeros(4)
    mujoco.mju_mat2Quat(gz_to_mj, mat.flatten())
    roll, pitch, yaw = pose_rpy
    # SDF rpy is extrinsic X, then Y, then Z: q = qz * qy * qx.
    qx = _euler_to_quat(roll, 0.0, 0.0)
    qy = _euler_to_quat(0.0, pitch, 0.0)
    qz = _euler_to_quat(0.0, 0.0, yaw)
    sensor = _mul_quat(qz, _mul_quat(qy, qx))
    return _mul_quat(sensor, gz_to_mj)


def _physics_substeps(step_s: Optional[float]) -> int:
    """
    Return physics steps per frame: the world's step, but no finer than MIN_TIMESTEP_S.

    Gazebo's 1 ms step suits its solvers; MuJoCo's implicit integrator with these gains is
    stable and grasps hold at 2 ms, which halves the physics cost. The step is then shortened
    slightly so that a whole number of steps makes one 1/30 s frame.
    """
    step_s = max(step_s if step_s and step_s > 0 else MIN_TIMESTEP_S, MIN_TIMESTEP_S)
    return max(1, int(round(FRAME_PERIOD_S / step_s)))


def _body_geoms(spec: mujoco.MjSpec, body_name: str):
    body = spec.body(body_name)
    return [] if body is None else list(body.geoms)


def _visual_settings(spec: mujoco.MjSpec, camera: CameraSpec) -> None:
    visual = spec.visual
    visual.quality.shadowsize = 0      # shadows off: the biggest cost on a software renderer
    visual.quality.offsamples = 0      # no multisampling
    visual.global_.offwidth = max(camera.width, 640)
    visual.global_.offheight = max(camera.height, 480)
    visual.headlight.ambient = [0.35, 0.35, 0.35]
    visual.headlight.diffuse = [0.5, 0.5, 0.5]
    visual.headlight.specular = [0.0, 0.0, 0.0]


def build_spec(urdf: str, scene: Scene, constants=None) -> Tuple[mujoco.MjSpec, UrdfFacts, int]:
    """Return the uncompiled twin spec, the URDF facts and the number of physics substeps."""
    constants = constants or robot_constants()
    facts = read_urdf(urdf)
    try:
        spec = mujoco.MjSpec.from_string(facts.clean_urdf)
    except ValueError as error:
        raise ModelError(f'MuJoCo cannot compile the robot description: {error}') from None
    names7 = constants.names7
    present = {joint.name for joint in spec.joints}
    missing = [n for n in names7 + (constants.gripper.mimic_joint_name,) if n not in present]
    if missing:
        raise ModelError(f'the robot description lacks joints {missing}')
    if spec.body(facts.camera.link) is None:
        raise ModelError(f'the camera link {facts.camera.link!r} is not a link of the robot')

    substeps = _physics_substeps(scene.physics_step_s)
    spec.option.timestep = FRAME_PERIOD_S / substeps
    spec.option.gravity = list(scene.gravity)
    spec.option.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    spec.option.cone = mujoco.mjtCone.mjCONE_ELLIPTIC
    spec.option.impratio = IMPRATIO
    _visual_settings(spec, facts.camera)

    # The stepper drives hold position without sagging: the links are gravity-compensated, so
    # the position servos only track (a grasped cube still weighs on them).
    for body in spec.bodies:
        if body.name != 'world':
            body.gravcomp = 1.0

    # Robot collision geoms are hidden from the camera; the URDF's visual geoms are drawn.
    for geom in spec.geoms:
        if geom.contype != 0 or geom.conaffinity != 0:
            geom.group = COLLISION_GROUP
            geom.contype, geom.conaffinity = ROBOT_BIT, SCENE_BIT

    # Pad friction from the Gazebo tags of the jaw links (and any other tagged link).
    pad_friction = None
    for link, (mu1, mu2) in facts.surface_mu.items():
        friction = mujoco_friction(mu1, mu2)
        for geom in _body_geoms(spec, link):
            if geom.contype != 0 or geom.conaffinity != 0:
                geom.friction = [friction, TORSIONAL_FRICTION, ROLLING_FRICTION]
                geom.condim = GRASP_CONDIM
                geom.solref = list(GRASP_SOLREF)
        pad_friction = friction if pad_friction is None else min(pad_friction, friction)

    # Actuators like the controllers: position servos on joint_1..6 and the driven jaw.
    for index, name in enumerate(constants.joint_names):
        joint = spec.joint(name)
        joint.armature = ARM_ARMATURE[index]
        effort = constants.effort_limits[index]
        spec.add_actuator(
            name=name, target=name, trntype=mujoco.mjtTrn.mjTRN_JOINT,
            gainprm=[ARM_KP[index]] + [0.0] * 9,
            biasprm=[0.0, -ARM_KP[index], -ARM_KV[index]] + [0.0] * 7,
            gaintype=mujoco.mjtGain.mjGAIN_FIXED, biastype=mujoco.mjtBias.mjBIAS_AFFINE,
            ctrllimited=mujoco.mjtLimited.mjLIMITED_TRUE,
            ctrlrange=[constants.lower[index], constants.upper[index]],
            forcelimited=mujoco.mjtLimited.mjLIMITED_TRUE, forcerange=[-effort, effort])
    gripper = constants.gripper
    for name in (gripper.joint_name, gripper.mimic_joint_name):
        spec.joint(name).armature = GRIPPER_ARMATURE
    spec.add_actuator(
        name=gripper.joint_name, target=gripper.joint_name, trntype=mujoco.mjtTrn.mjTRN_JOINT,
        gainprm=[GRIPPER_KP] + [0.0] * 9,
        biasprm=[0.0, -GRIPPER_KP, -GRIPPER_KV] + [0.0] * 7,
        gaintype=mujoco.mjtGain.mjGAIN_FIXED, biastype=mujoco.mjtBias.mjBIAS_AFFINE,
        ctrllimited=mujoco.mjtLimited.mjLIMITED_TRUE,
        ctrlrange=[gripper.lower, gripper.upper],
        forcelimited=mujoco.mjtLimited.mjLIMITED_TRUE,
        forcerange=[-gripper.effort_limit, gripper.effort_limit])

    # Mimic joints: q_follower = offset + multiplier * q_leader, as a joint equality.
    for follower, (leader, multiplier, offset) in facts.mimic.items():
        spec.add_equality(
            type=mujoco.mjtEq.mjEQ_JOINT, name=f'mimic_{follower}', name1=follower,
            name2=leader, data=[offset, multiplier, 0, 0, 0] + [0.0] * 6,
            solref=[0.005, 1.0])

    # Wrist camera on the URDF link, oriented like Gazebo's (looks along the link's +x).
    pose = facts.camera.pose
    spec.body(facts.camera.link).add_camera(
        name=CAMERA_NAME, pos=list(pose[:3]), quat=list(camera_quat(pose[3:])),
        fovy=facts.camera.fovy_deg, resolution=[facts.camera.width, facts.camera.height])

    _add_scene(spec, scene)
    return spec, facts, substeps


def _add_scene(spec: mujoco.MjSpec, scene: Scene) -> None:
    world = spec.worldbody
    world.add_light(name='key_light', pos=[0.3, -0.3, 1.5], dir=[-0.2, 0.2, -1.0],
                    diffuse=[0.6, 0.6, 0.6], specular=[0.1, 0.1, 0.1], castshadow=False)
    for box in scene.boxes:
        world.add_geom(
            name=box.name, type=mujoco.mjtGeom.mjGEOM_BOX, pos=list(box.position),
            quat=list(box.quat), size=[s / 2.0 for s in box.size], rgba=list(box.rgba),
            friction=[mujoco_friction(box.friction), TORSIONAL_FRICTION, ROLLING_FRICTION],
            group=1, contype=SCENE_BIT, conaffinity=SCENE_BIT | ROBOT_BIT)
    for cube in scene.cubes:
        body = world.add_body(name=cube.name, pos=list(cube.position), quat=list(cube.quat))
        body.add_freejoint(name=cube.name)
        body.add_geom(
            name=cube.name, type=mujoco.mjtGeom.mjGEOM_BOX, size=[s / 2.0 for s in cube.size],
            rgba=list(cube.rgba), mass=cube.mass, condim=GRASP_CONDIM, group=1,
            contype=SCENE_BIT, conaffinity=SCENE_BIT | ROBOT_BIT, solref=list(GRASP_SOLREF),
            friction=[mujoco_friction(cube.friction), TORSIONAL_FRICTION, ROLLING_FRICTION])


def _add_pad_site(spec: mujoco.MjSpec, constants) -> None:
    """Put a site midway between the closed jaws, on the body that carries them."""
    model = spec.compile()
    data = mujoco.MjData(model)
    mujoco.mj_kinematics(model, data)
    gripper = constants.gripper
    centres = []
    for name in (gripper.joint_name, gripper.mimic_joint_name):
        body_id = model.jnt_bodyid[model.joint(name).id]
        geoms = [g for g in range(model.ngeom)
                 if model.geom_bodyid[g] == body_id and model.geom_contype[g] != 0]
        if not geoms:
            raise ModelError(f'the body moved by {name} has no collision geometry (pads)')
        centres.append(np.mean([data.geom_xpos[g] for g in geoms], axis=0))
    centre = np.mean(centres, axis=0)
    carrier = model.body_parentid[model.jnt_bodyid[model.joint(gripper.joint_name).id]]
    rotation = data.xmat[carrier].reshape(3, 3)
    local = rotation.T @ (centre - data.xpos[carrier])
    spec.body(model.body(carrier).name).add_site(name=PAD_SITE_NAME, pos=list(local),
                                                 size=[0.004, 0, 0], group=4)


def build_twin(urdf: Optional[str] = None, world=None, constants=None) -> TwinModel:
    """
    Compile the twin from the robot description and the world.

    ``urdf`` defaults to the expanded xacro (``robot_description(sim_gazebo=False)``) and
    ``world`` to ``ar4_gazebo.world.load_world()``. Raise ModelError with a reason on failure.
    """
    constants = constants or robot_constants()
    if urdf is None:
        from ar4_description.xacro_model import robot_description
        urdf = robot_description(sim_gazebo=False)
    if world is None:
        from ar4_gazebo.world import load_world
        world = load_world()
    scene = world if isinstance(world, Scene) else scene_from_world(world)
    spec, facts, substeps = build_spec(urdf, scene, constants)
    _add_pad_site(spec, constants)
    try:
        model = spec.compile()
    except ValueError as error:
        raise ModelError(f'MuJoCo cannot compile the twin: {error}') from None

    # MuJoCo's clip planes are fractions of the model extent (the 8 m floor makes it large):
    # set them so the camera clips at the sensor's <clip> distances, as Gazebo does.
    model.vis.map.znear = facts.camera.near / model.stat.extent
    model.vis.map.zfar = facts.camera.far / model.stat.extent

    gripper = constants.gripper
    arm_joint_ids = [model.joint(n).id for n in constants.joint_names]
    cube_qpos, cube_body = {}, {}
    for cube in scene.cubes:
        cube_qpos[cube.colour] = int(model.jnt_qposadr[model.joint(cube.name).id])
        cube_body[cube.colour] = int(model.body(cube.name).id)
    robot_bodies = set()
    root = model.body(model.jnt_bodyid[arm_joint_ids[0]]).rootid
    for body in range(model.nbody):
        if model.body_rootid[body] == root and body != 0:
            robot_bodies.add(body)
    robot_geoms = np.array([g for g in range(model.ngeom) if model.geom_bodyid[g] in robot_bodies
                            and model.geom_contype[g] != 0], dtype=int)
    pad_friction = min((mujoco_friction(*mu) for mu in facts.surface_mu.values()),
                       default=float('nan'))
    return TwinModel(
        model=model, scene=scene, camera=facts.camera, arm_joints=constants.joint_names,
        gripper_joint=gripper.joint_name, mimic_joint=gripper.mimic_joint_name,
        substeps=substeps, pad_friction=pad_friction,
        arm_qpos=np.array([model.jnt_qposadr[j] for j in arm_joint_ids], dtype=int),
        arm_dof=np.array([model.jnt_dofadr[j] for j in arm_joint_ids], dtype=int),
        gripper_qpos=int(model.jnt_qposadr[model.joint(gripper.joint_name).id]),
        mimic_qpos=int(model.jnt_qposadr[model.joint(gripper.mimic_joint_name).id]),
        actuators=np.array([model.actuator(n).id for n in constants.names7], dtype=int),
        cube_qpos=cube_qpos, cube_body=cube_body, robot_geoms=robot_geoms)
