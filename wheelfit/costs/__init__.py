"""Stage 7, costs: installed sizes, build times and the final image size per target.

In: the classified packages, their wheels' file lists and sdist inspections, the system
package plan, and the shipped size and build-time data. Out: ``models.ImageCost`` per target
and sizes and build times per package (``estimate``; ``sizes`` and ``buildtime`` are the models).
"""
