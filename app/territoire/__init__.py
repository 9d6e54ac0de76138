"""The territory: communes, their zones and their EPCI."""
