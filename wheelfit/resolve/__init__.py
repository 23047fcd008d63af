"""Stage 6, resolution: what pip inside one image would pick, and how each pick installs.

In: the inputs, one target's tags and markers, the index client. Out: ``resolver.Resolution``
(pip's answer with resolvelib, or the blockers and the rest when pip would fail), then a
``models.PackageResult`` per package (``classify``): wheel, sdist-pure, sdist-native,
unavailable or direct, with the reason. ``finder`` ranks files as pip's finder does and
``explain`` says in words why a file was not installable.
"""
