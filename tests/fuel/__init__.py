"""Tests of Fuel."""
