"""Pilar: the social-pillar information system of a city social-affairs office."""
